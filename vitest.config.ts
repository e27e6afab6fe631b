import { defineConfig } from 'vitest/config';

// Three projects: `unit` is pure and fast; `integration` talks to the real libvirtd and QEMU
// guests; `e2e` drives Debian's Chromium against the real daemon. The real-part projects run
// real guests; see fileParallelism below.
export default defineConfig({
  test: {
    // One file at a time: two cores, emulated guests, and one Chromium at a time.
    fileParallelism: false,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 90_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
