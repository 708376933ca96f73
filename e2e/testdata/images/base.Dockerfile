# An image that keeps the base image's ENTRYPOINT: like AWS's base images, CMD names the handler
# and the runtime is the bootstrap (here /var/task/bootstrap, the aws-lambda-go function).
FROM lambdock/provided:al2023
COPY bootstrap /var/task/bootstrap
CMD ["my.handler"]
