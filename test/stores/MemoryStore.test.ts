import { MemoryStore } from '../../src/stores/MemoryStore'
import { defineStoreContract } from './contract'

defineStoreContract('MemoryStore', { open: async () => new MemoryStore() })
