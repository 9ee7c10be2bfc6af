export * from './lib/mpd';
export * from './lib/static-server';
export * from './lib/player-server';
export * from './lib/player';
export * from './lib/integration-env';
export * from './lib/service-stack';
export * from './lib/media-fixtures';
export * from './lib/media-row.builder';
