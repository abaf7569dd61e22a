#!/usr/bin/env node
// Runs the TypeScript sources through tsx, as the server does.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
