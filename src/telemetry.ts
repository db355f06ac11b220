// keepsake/telemetry: OpenTelemetry traces and metrics. A subpath of its own,
// so only programs that import it load @opentelemetry/api (an optional peer).
export { instrument, SCOPE, type TelemetryOptions } from './telemetry/instrument'
