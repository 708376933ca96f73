package cli

import "strings"

// pythonScaffold is the Python project for runtime, and its files' order.
func pythonScaffold(name, runtime string) (map[string]string, []string) {
	return map[string]string{
		ProjectFile:      managedYAML(name, runtime, "app.handler", "module app (app.py), function handler", "the packages of "+RequirementsFile+" (pip)"),
		"app.py":         pythonApp,
		RequirementsFile: pythonRequirements,
		".gitignore":     "__pycache__/\n*.pyc\n",
	}, []string{ProjectFile, "app.py", RequirementsFile, ".gitignore"}
}

// nodeScaffold is the Node.js project for runtime in module system module, and its files'
// order.
func nodeScaffold(name, runtime, module string) (map[string]string, []string) {
	file, code := "index.mjs", nodeESM
	if module == ModuleCommonJS {
		file, code = "index.js", nodeCommonJS
	}
	return map[string]string{
		ProjectFile:     managedYAML(name, runtime, "index.handler", "file "+file+", export handler", PackageJSONFile+"'s dependencies (npm)"),
		file:            code,
		PackageJSONFile: nodePackageJSON(name, module),
		".gitignore":    "node_modules/\n",
	}, []string{ProjectFile, file, PackageJSONFile, ".gitignore"}
}

// managedYAML is lambdock.yaml for a Python or Node.js project.
func managedYAML(name, runtime, handler, handlerNote, deps string) string {
	return `# Lambdock function project: ` + "`lambdock deploy`" + ` packages this directory and deploys it.
name: ` + name + `
runtime: ` + runtime + `
handler: ` + handler + ` # ` + handlerNote + `
memory: 128 # MB, 128-10240
timeout: 3  # seconds, 1-900
environment:
  GREETING: Hello
# deploy installs ` + deps + ` into the package; vendor: false packages the
# directory as it is.
# vendor: false
`
}

// nodePackageJSON is package.json without dependencies. npm wants a lower-case name.
func nodePackageJSON(name, module string) string {
	typ := ""
	if module == ModuleCommonJS {
		typ = "  \"type\": \"commonjs\",\n"
	}
	return "{\n" +
		"  \"name\": \"" + strings.TrimLeft(strings.ToLower(name), "_") + "\",\n" +
		"  \"version\": \"1.0.0\",\n" +
		"  \"private\": true,\n" +
		typ +
		"  \"dependencies\": {}\n" +
		"}\n"
}

// pythonRequirements is the scaffold's requirements.txt: nothing to install yet.
const pythonRequirements = `# Packages the function needs, one a line (pip's requirements format), e.g.
#   requests==2.32.3
# ` + "`lambdock deploy`" + ` installs them into the package with pip. The runtime has boto3 already.
`

// pythonApp is the Python scaffold's handler.
const pythonApp = `"""A Lambda function: {"name": "x"} -> {"message": "Hello, x!", "requestId": ...}."""
import os

# Module-level code runs once per execution environment, before the first event.
GREETING = os.environ.get("GREETING", "Hello")  # set in lambdock.yaml


def handler(event, context):
    name = "world"
    if isinstance(event, dict) and event.get("name"):
        name = str(event["name"])
    return {"message": f"{GREETING}, {name}!", "requestId": context.aws_request_id}
`

// nodeESM is the Node.js scaffold's handler as an ES module.
const nodeESM = `// A Lambda function: {"name": "x"} -> {"message": "Hello, x!", "requestId": ...}.

// Module-level code runs once per execution environment, before the first event.
const greeting = process.env.GREETING || "Hello"; // set in lambdock.yaml

export const handler = async (event, context) => {
  const name = (event && event.name) || "world";
  return { message: ` + "`${greeting}, ${name}!`" + `, requestId: context.awsRequestId };
};
`

// nodeCommonJS is the Node.js scaffold's handler as a CommonJS module.
const nodeCommonJS = `// A Lambda function: {"name": "x"} -> {"message": "Hello, x!", "requestId": ...}.

// Module-level code runs once per execution environment, before the first event.
const greeting = process.env.GREETING || "Hello"; // set in lambdock.yaml

exports.handler = async (event, context) => {
  const name = (event && event.name) || "world";
  return { message: ` + "`${greeting}, ${name}!`" + `, requestId: context.awsRequestId };
};
`
