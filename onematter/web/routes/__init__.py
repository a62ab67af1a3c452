"""The staff page's routes, one module per resource, each an APIRouter that `web.app` includes.
Each route parses, calls a service (`onematter.services`), renders; none runs SQL itself."""
