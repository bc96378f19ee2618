// Package archtest holds no code: its test enforces docs/architecture.md's
// "who may import whom" for every tok package, so the map and the code
// cannot drift apart. A new import between tok packages fails the test
// until both the rule here and the document say it is allowed.
// TestRequestRulesHaveOneHome keeps the request rules both binaries apply
// (TOK_PROFILE, TOK_ISSUER/TOK_TOKEN_URL, TOK_DEBUG) in internal/plan.
package archtest
