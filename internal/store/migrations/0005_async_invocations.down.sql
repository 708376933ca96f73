DROP TABLE async_invocations;
