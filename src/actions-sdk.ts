// The GitHub SDKs that the checkpoint stores and the watchdog call (the Actions cache, artifacts, the
// REST API): two thirds of the code bundled into each entry point, with the Azure, protobuf and
// archive libraries under them. Built as a bundle of its own (scripts/build.mjs) and loaded on first
// use through loadActionsSdk(), so a run compiles and initialises them only when it reaches a store.
export * as cache from '@actions/cache';
export { DefaultArtifactClient } from '@actions/artifact';
export { getOctokit } from '@actions/github';
