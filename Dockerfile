# syntax=docker/dockerfile:1
# Build: docker build -t contactsync --build-arg VERSION=v0.1.0 .
# Run:   docker run -p 8080:8080 -e CONTACTSYNC_ADMIN_TOKEN=... -e CONTACTSYNC_DATABASE_URL=postgres://... contactsync

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=""
# CGO off: the SQLite driver is pure Go, so the binary is fully static and
# runs on distroless/static.
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/contactsync ./cmd/contactsync

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/contactsync /contactsync
# The default SQLite database goes to the nonroot user's writable home;
# mount a volume there, or set CONTACTSYNC_DATABASE_URL to Postgres.
WORKDIR /home/nonroot
ENV CONTACTSYNC_HTTP_ADDR=0.0.0.0:8080 \
    CONTACTSYNC_LOG_FORMAT=json
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/contactsync"]
CMD ["serve"]
