# An image FROM the project's provided image with an aws-lambda-go function as its ENTRYPOINT.
# The e2e test builds it a second time under the same tag with VARIANT=two.
FROM lambdock/provided:al2023
ENV VARIANT=one
COPY bootstrap /var/task/fn
ENTRYPOINT ["/var/task/fn"]
