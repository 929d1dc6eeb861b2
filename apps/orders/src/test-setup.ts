/** `node --test --test-global-setup=apps/orders/src/test-setup.ts`: one cluster per run, its template migrated like the app. */
// docs:start global-setup
import { createGlobalSetup } from '@steadfast/toolkit/testing';
import { migrateApp } from './migrations.ts';

export const { globalSetup, globalTeardown } = createGlobalSetup({ migrate: migrateApp });
// docs:end global-setup
