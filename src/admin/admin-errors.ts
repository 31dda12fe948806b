/**
 * Turns a failed admin handler into its answer: an AdminRequestError becomes its status with its issues as
 * plain text, one a line (what Zipkin does for a bad query); anything else goes on to the admin server's 500.
 */
import type { ServerResponse } from 'node:http';
import { AdminRequestError } from '../errors.js';
import { sendText, type AdminHandler } from './server.js';

export function answeringErrors(handler: AdminHandler): AdminHandler {
  return async (req, res, url) => {
    try {
      await handler(req, res, url);
    } catch (error) {
      if (!(error instanceof AdminRequestError) || res.headersSent) throw error;
      sendIssues(res, error);
    }
  };
}

export function sendIssues(res: ServerResponse, error: AdminRequestError): void {
  sendText(res, error.status, `${error.issues.join('\n')}\n`);
}
