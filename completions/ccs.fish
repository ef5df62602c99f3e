complete --keep-order --exclusive --command ccs --arguments "(CCS_COMPLETE=fish ccs -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
