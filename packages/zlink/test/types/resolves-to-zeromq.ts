// Typechecked by the package's tsconfig.json: proves that there "zeromq" is the zeromq package,
// whose declarations have no `zlinkVersion`, so the program is really checked against zeromq.
import * as zmq from "zeromq"

// @ts-expect-error only zlink has zlinkVersion
export const zlinkVersion: string = zmq.zlinkVersion
