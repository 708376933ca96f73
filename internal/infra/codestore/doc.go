// Package codestore keeps deployment packages (zips) in the JetStream object store
// msg.BucketCode, named by the hex SHA-256 of their content, so that every invoker on every host
// can fetch the code a function.Spec names by CodeSHA256.
//
// Design choices:
//
//   - Content addressing makes Put idempotent (the same zip is stored once, however many
//     functions or deploys use it) and lets FetchCode verify what it returns: a zip whose hash is
//     not its name is never handed to an invoker.
//   - The bucket uses file storage in JetStream, so code lives wherever NATS keeps its data (the
//     data directory for the embedded server) and is replicated with it on a cluster; no other
//     shared file system is needed.
//   - Zips are held in memory: they are at most MaxZipSize (Lambda's limit for a direct upload),
//     and the gateway has the whole request body anyway.
//   - Delete is the caller's decision: a zip may back several functions, so only delete a hash no
//     function refers to any more.
package codestore
