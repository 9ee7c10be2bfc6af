export * from './lib/mpd';
export * from './lib/static-server';
export * from './lib/player-server';
export * from './lib/player';
