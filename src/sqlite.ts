/** `keepsake/sqlite`: the embedded durable store (needs `better-sqlite3`). */
export { SqliteStore, type SqliteStoreOptions, type SqliteSynchronous } from './stores/SqliteStore'
