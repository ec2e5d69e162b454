"""Domain rules, free of storage and HTTP: message states and who may move them (`workflow`), and the
errors those rules raise (`errors`), which the routes map to HTTP statuses."""
