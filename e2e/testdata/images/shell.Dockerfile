# An image FROM the project's Python image whose ENTRYPOINT is a shell script that sets
# variables and execs an aws-lambda-go function (the e2e test copies the built bootstrap in).
FROM lambdock/python:3.13
ENV PATH=/usr/local/lib/fn:/usr/local/bin:/usr/bin:/bin
COPY bootstrap /usr/local/lib/fn/bootstrap
COPY entry.sh /usr/local/bin/entry.sh
WORKDIR /usr/local/lib/fn
ENTRYPOINT ["/usr/local/bin/entry.sh"]
CMD ["app.handler"]
