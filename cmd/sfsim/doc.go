// Command sfsim serves an in-memory Salesforce org over HTTP for local
// development, demos and benchmarks.
//
// It prints one JSON line with the URLs and credentials to use, then serves
// until interrupted:
//
//	sfsim -addr 127.0.0.1:8443 -contacts 100000 -seed 7
//
// Test controls are under /__sim/ (see package salesforcetest).
package main
