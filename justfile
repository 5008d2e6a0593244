# Amebo's everyday commands. `just` is a convenience: each recipe is one plain command.

# start Amebo on http://127.0.0.1:3310 (embedded PostgreSQL unless AMEBO_DSN is set)
run:
    dotnet run --project src/Amebo.Platform

# run the whole test suite against a real PostgreSQL
test:
    dotnet test

# build everything in Release
build:
    dotnet build -c Release

# what CI runs, from this checkout
ci:
    bash .ci/run

# forget the embedded database (stop Amebo first)
reset-data:
    rm -rf src/Amebo.Platform/.amebo

# benchmark Amebo against its floors and print a table (`just bench --quick` for a reduced set)
bench *args:
    dotnet run -c Release --project bench/Amebo.Bench -- {{args}}

# write docs/openapi.json from the document Amebo serves (a test fails when it drifts)
openapi:
    AMEBO_WRITE_OPENAPI=1 dotnet test --filter FullyQualifiedName~when_publishing_the_openapi_document

# regenerate the pre-built Wolverine handlers after changing an endpoint (a test fails when they drift)
codegen:
    cd src/Amebo.Platform && rm -rf Internal/Generated && dotnet run -- codegen write
