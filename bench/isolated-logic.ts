// The bench's counter machine as a module export, so isolated branches can name it.
import { counterMachine } from './logics'

export const counter = counterMachine('keepsake')
