// The discovery task queue: in order, one at a time, deduplicated while waiting, and closing
// drops what has not started (a hung libvirtd must not make a shutdown wait out every queued
// virsh call).
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { TaskQueue } from '../../../src/discovery/task-queue.js';

const logger = pino({ level: 'silent' });

describe('TaskQueue', () => {
  it('runs tasks in order, one at a time, and a key waiting once', async () => {
    const queue = new TaskQueue(logger);
    const ran: string[] = [];
    let running = 0;
    const task = (name: string) => async (): Promise<void> => {
      running += 1;
      expect(running).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 1));
      ran.push(name);
      running -= 1;
    };
    void queue.push('a', task('a'));
    void queue.push('b', task('b1'));
    void queue.push('b', task('b2'));
    void queue.push('c', task('c'));
    await queue.idle();
    expect(ran).toEqual(['a', 'b1', 'c']);
  });

  it('on close, lets the running task finish and drops the waiting ones', async () => {
    const queue = new TaskQueue(logger);
    const ran: string[] = [];
    let release: () => void = () => undefined;
    void queue.push('hung', async () => {
      await new Promise<void>((resolve) => (release = resolve));
      ran.push('hung');
    });
    for (const key of ['x', 'y', 'z']) {
      void queue.push(key, async () => {
        ran.push(key);
        await Promise.resolve();
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 1)); // the first task has started
    const closed = queue.close();
    void queue.push('late', async () => {
      ran.push('late');
      await Promise.resolve();
    });
    release();
    await closed;
    await queue.idle();
    expect(ran).toEqual(['hung']);
  });
});
