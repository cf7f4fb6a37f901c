module github.com/twingym/twingym/clients/go

go 1.22

require github.com/gorilla/websocket v1.5.3
