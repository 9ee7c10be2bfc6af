export * from './lib/probe.schema';
export * from './lib/report.schema';
export * from './lib/jobs.schema';
export * from './lib/api.schema';
export * from './lib/webhooks.schema';
export * from './lib/text.schema';
export * from './lib/admin.schema';
