// Does not parse: init fails with Runtime.UserCodeSyntaxError.
export const handler = async () => { return 1; }};
