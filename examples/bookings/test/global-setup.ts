/** One embedded Postgres per test run; its template database is migrated like the service. */
import { createGlobalSetup } from '@steadfast/toolkit/testing';
import { migrateAll } from '../src/migrations.ts';

export const { globalSetup, globalTeardown } = createGlobalSetup({ migrate: migrateAll });
