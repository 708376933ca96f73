// Imports a package that is not installed: init fails with Runtime.ImportModuleError.
import missing from 'not-installed';

export const handler = async () => missing;
