/* not in the fake kernel's config */
