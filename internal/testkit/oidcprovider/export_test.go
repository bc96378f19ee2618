package oidcprovider

// Exited closes when p's node process has ended.
func Exited(p *Provider) <-chan struct{} { return p.exited }
