import express from 'express';

/** Small JSON bodies only: media bytes go straight to storage through presigned URLs. */
export function jsonBodies() {
  return express.json({ limit: '64kb' });
}
