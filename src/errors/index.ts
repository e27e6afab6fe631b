// One catalogue of every error the daemon reports to a user: code, HTTP status, WebSocket close
// code. The README's table is checked against it by test/unit/errors.test.ts.
// WebSocket close codes: 1000/1001/1008/1009/1011 are standard; 4000-4999 are ours.

export interface ErrorSpec {
  /** HTTP status when the error answers a request (including a refused WebSocket upgrade). */
  readonly http: number;
  /** WebSocket close code when the error ends an open WebSocket. */
  readonly ws: number;
  /** One line for the README. */
  readonly summary: string;
}

export const ERRORS = {
  VWC_ERR_CONFIG: {
    http: 500,
    ws: 1011,
    summary: 'The configuration is invalid; the message says how to fix it.',
  },
  VWC_ERR_INTERNAL: { http: 500, ws: 1011, summary: 'An unexpected fault; details are in the log.' },
  VWC_ERR_XML_MALFORMED: { http: 502, ws: 1011, summary: 'A domain XML document could not be parsed.' },
  VWC_ERR_XML_INVALID: { http: 502, ws: 1011, summary: 'A domain XML document lacks required elements.' },
  VWC_ERR_VIRSH_MISSING: { http: 503, ws: 1011, summary: 'The virsh binary was not found.' },
  VWC_ERR_VIRSH_FAILED: { http: 502, ws: 1011, summary: 'A virsh command failed; stderr is attached.' },
  VWC_ERR_VIRSH_TIMEOUT: { http: 504, ws: 1011, summary: 'A virsh command did not finish in time.' },
  VWC_ERR_VIRSH_OUTPUT_LIMIT: { http: 502, ws: 1011, summary: 'A virsh command printed more than allowed.' },
  VWC_ERR_VIRSH_CANCELLED: {
    http: 503,
    ws: 1001,
    summary: 'A virsh command was cancelled because the daemon is stopping.',
  },
  // -- discovery (src/discovery)
  // -- serial (src/bridge/serial)
  VWC_ERR_SERIAL_NOT_FOUND: {
    http: 404,
    ws: 4100,
    summary: 'The domain has no serial console with that index.',
  },
  VWC_ERR_SERIAL_UNAVAILABLE: {
    http: 503,
    ws: 4101,
    summary: 'The serial source cannot be attached (unsupported type, protocol or mode).',
  },
  VWC_ERR_DOMAIN_UNDEFINED: {
    http: 410,
    ws: 4102,
    summary: 'The domain was undefined; its consoles are closed.',
  },
  VWC_ERR_SERIAL_PORT_REMOVED: {
    http: 410,
    ws: 4103,
    summary: 'The serial port was removed from the domain.',
  },
  VWC_ERR_CLIENT_TOO_SLOW: {
    http: 503,
    ws: 4104,
    summary: 'The client fell further behind than the per-client queue allows (slowClientPolicy disconnect).',
  },
  VWC_ERR_FRAME_TOO_LARGE: {
    http: 413,
    ws: 4105,
    summary: 'A WebSocket frame from the client exceeds the limit.',
  },
  VWC_ERR_SERIAL_PROTOCOL: { http: 400, ws: 4106, summary: 'A serial control message was not understood.' },
  VWC_ERR_SERIAL_TOO_MANY_CLIENTS: {
    http: 503,
    ws: 4107,
    summary: 'The serial console has as many clients as it allows.',
  },
  // -- vnc (src/bridge/vnc)
  VWC_ERR_VNC_UNAVAILABLE: {
    http: 404,
    ws: 4200,
    summary: 'The domain has no VNC console the daemon can reach (none, or not a VNC server).',
  },
  VWC_ERR_DOMAIN_STOPPED: {
    http: 409,
    ws: 4201,
    summary: 'domain stopped: the VM is not running, so its console is closed.',
  },
  VWC_ERR_VNC_LIMIT: {
    http: 503,
    ws: 4202,
    summary: 'The VNC console has as many viewers as it allows (maxViewersPerVm).',
  },
  VWC_ERR_VNC_UPSTREAM: {
    http: 502,
    ws: 4203,
    summary: "The VM's VNC server could not be reached or closed the connection.",
  },
  VWC_ERR_RFB_PROTOCOL: {
    http: 400,
    ws: 4204,
    summary: 'The browser sent RFB the server-side filter cannot frame (unknown message type); closed.',
  },
  VWC_ERR_RFB_SECURITY_UNSUPPORTED: {
    http: 501,
    ws: 4205,
    summary: 'The VNC security type chosen is not None or VNC password (e.g. VeNCrypt/TLS, SASL).',
  },
  // -- spice (src/bridge/spice)
  VWC_ERR_SPICE_UNAVAILABLE: {
    http: 404,
    ws: 4210,
    summary:
      'The domain has no SPICE console the daemon can reach (none, not running yet, or only a TLS port).',
  },
  VWC_ERR_SPICE_LIMIT: {
    http: 503,
    ws: 4211,
    summary: 'The SPICE console has as many channel connections as it allows.',
  },
  VWC_ERR_SPICE_UPSTREAM: {
    http: 502,
    ws: 4212,
    summary: "The VM's SPICE server could not be reached or closed the connection.",
  },
  VWC_ERR_SPICE_PROTOCOL: {
    http: 400,
    ws: 4213,
    summary:
      'The browser sent something that is not a SPICE link message (or SASL auth on a watched channel).',
  },
  VWC_ERR_SPICE_CHANNEL_REFUSED: {
    http: 403,
    ws: 4214,
    summary:
      'A viewer asked for a SPICE channel that acts on the guest (inputs, usbredir, webdav, port, smartcard, record).',
  },
  VWC_ERR_SPICE_BUSY: {
    http: 409,
    ws: 4215,
    summary:
      'Someone else holds the SPICE console (QEMU serves one client); an operator may take it over, a viewer may not displace an operator.',
  },
  VWC_ERR_SPICE_TAKEN_OVER: {
    http: 409,
    ws: 4216,
    summary: 'Another user took the SPICE console over; the page offers to take it back.',
  },
  VWC_ERR_VNC_CONTROL_PROTOCOL: {
    http: 400,
    ws: 4206,
    summary: 'A message on the VNC control channel (presence, input lock) was not understood.',
  },
  VWC_ERR_RECORDING_UNAVAILABLE: {
    http: 409,
    ws: 4207,
    summary:
      'The VNC screen cannot be recorded now: vncRecording.enabled is false, the VM is not running, or its VNC asks for a password the daemon does not know (a socket-folder VM) or that its VNC server refused.',
  },
  // -- ssh (src/ssh)
  VWC_ERR_SSH_HOST_KEY: {
    http: 500,
    ws: 1011,
    summary:
      'The SSH host key in the state folder is unreadable or not an ed25519 key; move it away to have a new one made.',
  },
  VWC_ERR_SSH_SESSION_LIMIT: {
    http: 429,
    ws: 4300,
    summary: 'The user has as many SSH console sessions open as ssh.maxSessionsPerUser allows.',
  },
  VWC_ERR_SSH_COMMAND: {
    http: 400,
    ws: 4301,
    summary:
      'The SSH command is not a console name such as web1, web1/serial1 or web1:1 (nothing else runs).',
  },
  VWC_ERR_SSH_IDLE: {
    http: 408,
    ws: 4302,
    summary: 'The SSH session sent no input for ssh.idleTimeoutSeconds and was closed.',
  },
  // -- control (src/control): power actions
  VWC_ERR_ACTION_CONFLICT: {
    http: 409,
    ws: 4400,
    summary:
      "libvirt or QEMU refused the power action in the VM's state; the message is theirs (e.g. domain is not running).",
  },
  VWC_ERR_ACTION_UNSUPPORTED: {
    http: 409,
    ws: 4401,
    summary:
      'The VM cannot do this power action (a socket-folder VM without a NAME.qmp socket, or start/reboot of one).',
  },
  VWC_ERR_ACTION_FAILED: {
    http: 502,
    ws: 1011,
    summary:
      'The power action could not be sent (QMP socket unreachable, or an unexpected libvirt error); see the log.',
  },
  // -- control (src/control/thumbnails): list-page thumbnails
  VWC_ERR_THUMBNAIL_UNAVAILABLE: {
    http: 404,
    ws: 4410,
    summary:
      'The VM has nothing to show as a thumbnail: no screen that can be captured and no serial console.',
  },
  VWC_ERR_THUMBNAIL_FAILED: {
    http: 502,
    ws: 1011,
    summary:
      'Capturing or converting the screen failed (libvirt/QEMU refused, or the image was unreadable); nothing was cached.',
  },
  // -- fleet (src/fleet): entries, hosts, tickets
  VWC_ERR_FLEET_TICKET_INVALID: {
    http: 401,
    ws: 1008,
    summary:
      'The fleet ticket is forged, signed by an unknown key, expired, already used, or for another host, domain or console; the page asks the entry for a new one.',
  },
  VWC_ERR_FLEET_TOKEN: {
    http: 401,
    ws: 1008,
    summary:
      "A host's fleet API (/api/fleet/domains, /api/fleet/events, /api/fleet/revocations) was called without its Bearer token (users' passwords and cookies are refused there).",
  },
  VWC_ERR_FLEET_HOST_UNKNOWN: {
    http: 404,
    ws: 4500,
    summary: 'The entry knows no host of that name (fleet.entry.hosts).',
  },
  VWC_ERR_FLEET_HOST_UNREACHABLE: {
    http: 503,
    ws: 4501,
    summary:
      "The entry has lost its link to the host; it reconnects by itself, and the host's VMs are greyed meanwhile.",
  },
  // -- http (src/http, src/config)
  VWC_ERR_AUTH_REQUIRED: {
    http: 401,
    ws: 1008,
    summary: 'No credentials, or a wrong user name or password (Basic auth).',
  },
  VWC_ERR_LOGIN_FAILED: {
    http: 401,
    ws: 1008,
    summary: 'The login form or POST /api/login got a wrong user name or password (no Basic challenge).',
  },
  VWC_ERR_SESSION_EXPIRED: {
    http: 401,
    ws: 1008,
    summary:
      'The login session cookie is unknown: logged out, timed out, or the password changed; log in again.',
  },
  VWC_ERR_TICKET_INVALID: {
    http: 401,
    ws: 1008,
    summary: 'The console ticket is unknown, expired or already used; ask POST /api/tickets for a new one.',
  },
  VWC_ERR_FORBIDDEN: {
    http: 403,
    ws: 1008,
    summary: "The user's role or domain ACL does not allow this.",
  },
  VWC_ERR_ORIGIN: {
    http: 403,
    ws: 1008,
    summary: 'The WebSocket Origin matches neither the Host nor allowedOrigins.',
  },
  VWC_ERR_NOT_FOUND: { http: 404, ws: 4404, summary: 'No such domain, console or route.' },
  VWC_ERR_BAD_REQUEST: { http: 400, ws: 1008, summary: 'A parameter is missing or malformed.' },
  VWC_ERR_RANGE_NOT_SATISFIABLE: {
    http: 416,
    ws: 1008,
    summary: 'A Range header asks for bytes past the end of the download (Content-Range says its size).',
  },
  VWC_ERR_RATE_LIMITED: {
    http: 429,
    ws: 1008,
    summary:
      'Too many failed logins (refused fleet tickets included) from this address, or too many password checks waiting; wait for Retry-After seconds.',
  },
  VWC_ERR_USERS_FILE: {
    http: 500,
    ws: 1011,
    summary:
      'The users file is unreadable or holds a weak hash; re-set the password with `virt-webconsole passwd`.',
  },
  VWC_ERR_SHUTTING_DOWN: { http: 503, ws: 1001, summary: 'The server is shutting down.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** The base of every error the daemon raises on purpose. */
export class VwcError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VwcError';
    this.code = code;
  }
  get httpStatus(): number {
    return ERRORS[this.code].http;
  }
  get wsCloseCode(): number {
    return ERRORS[this.code].ws;
  }
}

export function isVwcError(error: unknown, code?: ErrorCode): error is VwcError {
  return error instanceof VwcError && (code === undefined || error.code === code);
}
