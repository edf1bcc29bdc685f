# syntax=docker/dockerfile:1
# Build: a static, pure-Go binary (the SQLite store needs no cgo).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=
ARG COMMIT=
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" -o /out/licensed ./cmd/licensed \
 && mkdir -p /out/data

# Run: distroless static, non-root (uid 65532), nothing but the binary.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/licensed /usr/local/bin/licensed
COPY --from=build --chown=65532:65532 /out/data /data
# The image listens on every interface, where LICENSED_ISSUER is required.
# Its value here is the URL `docker run -p 8080:8080` is reached at (the
# README's), so the image works as it is on one machine; behind a real name,
# run it with -e LICENSED_ISSUER=https://licenses.example.com.
ENV LICENSED_ADDR=0.0.0.0:8080 \
    LICENSED_ISSUER=http://localhost:8080 \
    LICENSED_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
USER 65532:65532
# The image has no shell, curl or wget: the binary checks itself, GET
# /healthz on LICENSED_ADDR (0.0.0.0 asked on loopback), exit 0 on 200.
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD ["/usr/local/bin/licensed", "healthcheck", "--timeout", "3s"]
ENTRYPOINT ["/usr/local/bin/licensed"]
CMD ["serve"]
