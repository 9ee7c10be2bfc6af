export * from './lib/prisma.factory';
export * from './lib/media-transitions';
export * from './generated/prisma/client';
export * from './lib/webhook-outbox';
