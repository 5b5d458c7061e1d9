module github.com/sockkit/sockkit

go 1.26

require (
	github.com/google/go-cmp v0.7.0
	github.com/gorilla/websocket v1.5.3
	go.uber.org/goleak v1.3.0
)

require pgregory.net/rapid v1.3.0
