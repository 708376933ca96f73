// Throws while loading: init fails with the error as thrown.
throw new Error('config missing');
