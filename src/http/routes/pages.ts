// The browser pages: static HTML shells and bundled assets from the web folder. Domain names
// are never templated into HTML; the page script reads them from location.pathname.
import path from 'node:path';
import express, { type Router } from 'express';
import { VwcError } from '../../errors/index.js';

/** Serves one built HTML page of the web folder. */
export function servePage(webDir: string, file: string): express.RequestHandler {
  return (_req, res, next) => {
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(file, { root: webDir, dotfiles: 'deny' }, (error?: Error) => {
      if (error) next(new VwcError('VWC_ERR_NOT_FOUND', `page ${file} is not built (run npm run build)`));
    });
  };
}

export function pagesRouter(webDir: string): Router {
  const router = express.Router();
  const sendPage = (file: string): express.RequestHandler => servePage(webDir, file);
  router.get('/', sendPage('list.html'));
  router.get('/console/{*rest}', sendPage('console.html'));
  router.get('/recordings/{*rest}', sendPage('recordings.html'));
  router.use(
    '/assets',
    express.static(path.resolve(webDir), {
      index: false,
      dotfiles: 'ignore',
      fallthrough: true,
      redirect: false,
    }),
  );
  return router;
}
