#!/usr/bin/env node
import { processIo } from './cli/io.js';
import { cliMain } from './cli/main.js';

process.exitCode = await cliMain(process.argv.slice(2), process.env, processIo());
