export type { JanusRoomId, VideoRoomParticipant, VideoRoomSummary } from "@volly/protocol";
export { type BuildAppOptions, buildApp } from "./app.js";
export { type BackupResult, backupEmbeddedStore, PG_DUMP_HINT } from "./backup.js";
export type { Bus, BusHandler } from "./bus/bus.js";
export { deviceChannel, groupChannel, PRESENCE_CHANNEL } from "./bus/bus.js";
export { createInProcessBus } from "./bus/in-process-bus.js";
export {
  BUS_MESSAGES,
  BusMessage,
  DeviceLinkClaimedMessage,
  DeviceRevokedMessage,
  GroupAppendedMessage,
  GroupJoinedMessage,
  PresenceMessage,
  PresenceRefreshMessage,
  TypingMessage,
  WelcomeMessage,
} from "./bus/messages.js";
export { describeBus, openConfiguredBus } from "./bus/open-bus.js";
export { parseBusMessage } from "./bus/parse-bus-message.js";
export { createRedisBus, type RedisBusOptions } from "./bus/redis-bus.js";
export {
  configFromEnv,
  DEFAULT_CONFIG,
  DEFAULT_WEB_DIR,
  LOG_LEVELS,
  type LogLevel,
  redactUrl,
  type ServerConfig,
} from "./config.js";
export {
  DEFAULT_SFU,
  DEFAULT_TURN_TTL_SECONDS,
  type SfuConfig,
  type SfuMode,
  type TurnConfig,
} from "./config-calls.js";
export { DEFAULT_QUOTAS, type QuotaConfig } from "./config-quotas.js";
export {
  DEFAULT_ENTITY_BUDGETS,
  type EntityBudget,
  type EntityBudgetOverrides,
  type EntityBudgets,
  entityBudgets,
} from "./config-rate-limits.js";
export { buildMetricsApp, METRICS_PATH } from "./http/metrics-app.js";
export { CONTENT_SECURITY_POLICY } from "./http/security-headers.js";
export { runServer } from "./main.js";
export { type BusErrorKind, createMetrics, type Metrics } from "./metrics.js";
export { type MigrateResult, migrateConfiguredStore } from "./migrate.js";
export { type ClaimLimits, DEFAULT_SERVICE_LIMITS, type ServiceLimits } from "./services/service-limits.js";
export { JanusClient, type JanusClientOptions, JanusSession } from "./sfu/janus-client.js";
export type { JanusProcess } from "./sfu/janus-process.js";
export { openSfu, type Sfu } from "./sfu/open-sfu.js";
export {
  type CreateRoomOptions,
  VIDEOROOM_PLUGIN,
  VideoRoom,
} from "./sfu/videoroom.js";
export { type RunningServer, startServer } from "./start-server.js";
export { instrumentStore } from "./store/instrumented-store.js";
export { createKyselyStore, type KyselyStoreOptions } from "./store/kysely-store.js";
export { migrateToLatest } from "./store/migrations/migrate.js";
export { describeStore, openConfiguredStore, type StoreBackend, sqliteFile } from "./store/open-store.js";
export {
  openPostgresDatabase,
  openPostgresStore,
  type PostgresStoreOptions,
} from "./store/postgres-store.js";
export type { Database } from "./store/schema.js";
export { openSqliteDatabase, openSqliteStore } from "./store/sqlite-store.js";
export { StoreConflict } from "./store/store-conflict.js";
export type {
  AccountRecord,
  AccountRepository,
  AuthRepository,
  CursorRepository,
  DeviceRecord,
  DeviceRepository,
  DeviceWithAccount,
  GroupRecord,
  GroupRepository,
  KeyPackageRecord,
  KeyPackageRepository,
  LogEntryRecord,
  LogEntryWithSender,
  LogKind,
  LogRepository,
  MembershipRecord,
  PeerAccount,
  Repositories,
  Store,
  WelcomeRecord,
  WelcomeRepository,
  WelcomeWithContext,
} from "./store/types.js";
