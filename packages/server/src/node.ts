export { toNodeListener } from './node-listener.js';
