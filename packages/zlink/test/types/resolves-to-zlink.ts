// Typechecked only by tsconfig.zlink.json: proves that there "zeromq" is zlink's source, not the
// zeromq package (which has no `zlinkVersion`), so the program is really checked against zlink.
import * as zmq from "zeromq"

export const zlinkVersion: string = zmq.zlinkVersion
