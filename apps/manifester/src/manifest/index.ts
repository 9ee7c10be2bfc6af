export * from './manifest-input';
export * from './hls-media.writer';
export * from './hls-master.writer';
export * from './dash-mpd.writer';
export * from './write-manifests';
