export * from './lib/prisma.factory';
export * from './generated/prisma/client';
