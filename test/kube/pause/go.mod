module embedding-relay/tools/pause

go 1.26.8
