export * from './errors.js';
export * from './countries.js';
export * from './fields.js';
export * from './users.js';
export * from './auth.js';
export * from './sessions.js';
export * from './endpoints.js';
export * from './openapi.js';
