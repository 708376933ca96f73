// Requires a package that is not installed: init fails with Runtime.ImportModuleError.
const missing = require('not-installed');

exports.handler = async () => missing;
