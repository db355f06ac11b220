export * from './api/index'
