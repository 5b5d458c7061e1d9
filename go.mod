module github.com/sockkit/sockkit

go 1.26
