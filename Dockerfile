# syntax=docker/dockerfile:1
# Build: a static binary (CGO off: bbolt and everything else is pure Go).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o /out/floorfeed ./cmd/floorfeed \
 && mkdir -p /out/data

# Run: distroless static, non-root, data on a volume.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/floorfeed /usr/local/bin/floorfeed
COPY --from=build --chown=65532:65532 /out/data /data
ENV FLOORFEED_ADDR=:8080 \
    FLOORFEED_DATA_DIR=/data \
    FLOORFEED_LOG_FORMAT=json
VOLUME /data
EXPOSE 8080
USER 65532:65532
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/floorfeed", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/floorfeed"]
CMD ["serve"]
