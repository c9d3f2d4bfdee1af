import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html', '.htm': 'text/html', '.css': 'text/css', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.cjs': 'text/javascript', '.ts': 'text/x-typescript', '.tsx': 'text/x-typescript', '.jsx': 'text/javascript',
  '.json': 'application/json', '.map': 'application/json', '.md': 'text/markdown', '.txt': 'text/plain',
  '.csv': 'text/csv', '.xml': 'application/xml', '.yaml': 'application/yaml', '.yml': 'application/yaml',
  '.toml': 'application/toml', '.py': 'text/x-python', '.rs': 'text/x-rust', '.go': 'text/x-go', '.java': 'text/x-java',
  '.c': 'text/x-c', '.h': 'text/x-c', '.cpp': 'text/x-c++', '.sh': 'application/x-sh', '.sql': 'application/sql',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif',
  '.webp': 'image/webp', '.ico': 'image/x-icon', '.pdf': 'application/pdf', '.zip': 'application/zip',
  '.gz': 'application/gzip', '.tgz': 'application/gzip', '.tar': 'application/x-tar', '.wasm': 'application/wasm',
  '.woff2': 'font/woff2', '.mp3': 'audio/mpeg', '.mp4': 'video/mp4',
};
const TEXT_NAMES = new Set(['Makefile', 'Dockerfile', 'LICENSE', 'README', '.gitignore', '.env', '.editorconfig']);

/** The Content-Type of a workspace file, by name; text types carry charset=utf-8. */
export function contentTypeOf(name: string): string {
  const type = TYPES[path.extname(name).toLowerCase()] ?? (TEXT_NAMES.has(name) ? 'text/plain' : 'application/octet-stream');
  return type.startsWith('text/') || type === 'application/json' ? `${type}; charset=utf-8` : type;
}
