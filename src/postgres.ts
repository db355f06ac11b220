/** `keepsake/postgres`: the server store on PostgreSQL (needs `pg`). */
export { PostgresStore, type PostgresStoreOptions } from './stores/PostgresStore'
