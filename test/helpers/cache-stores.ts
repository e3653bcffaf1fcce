import { REDIS_AVAILABLE, type RedisServer, startRedis } from './redis-server.ts';

/** A cache store an HTTP-level suite runs against: what to start, and the env that selects it. */
export interface StoreCase {
  name: 'memory' | 'sqlite' | 'redis';
  /** Skipped only outside CI when the service binary is missing (startRedis says so). */
  skip: boolean;
  setup(): Promise<{ env: Record<string, string>; teardown(): Promise<void> }>;
}

const none = async () => undefined;

export const CACHE_STORES: StoreCase[] = [
  { name: 'memory', skip: false, setup: async () => ({ env: {}, teardown: none }) },
  {
    name: 'sqlite',
    skip: false,
    setup: async () => ({ env: { GATEHOUSE_CACHE_STORE: 'sqlite' }, teardown: none }),
  },
  {
    name: 'redis',
    skip: !REDIS_AVAILABLE && !process.env['CI'],
    async setup() {
      const redis = (await startRedis()) as RedisServer;
      return {
        env: { GATEHOUSE_CACHE_STORE: 'redis', GATEHOUSE_REDIS_URL: redis.url },
        teardown: () => redis.stop(),
      };
    },
  },
];
